"""Neural networks on autograd-core: filled in by the nn issue."""

__all__: list[str] = []
