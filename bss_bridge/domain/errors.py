"""Rule violations in the BSS domain. The BSS's one error root is :class:`BssError`; the domain's
part of the tree is defined here (stdlib only) and re-exported by the rest of the package.

    BssError
    └── BssDomainError          a request broke a rule of the domain
        ├── InvalidMoneyError   an amount or currency that money cannot be
        └── InvalidPriceError   a price component that cannot be rated
"""


class BssError(Exception):
    """Root of every error the BSS raises on purpose."""


class BssDomainError(BssError):
    """A request broke a rule of the BSS domain."""


class InvalidMoneyError(BssDomainError):
    """An amount that is not a finite decimal, or a currency that is not an ISO 4217 code."""


class InvalidPriceError(BssDomainError):
    """A price component whose terms contradict each other (unsorted tiers, a negative price...)."""
