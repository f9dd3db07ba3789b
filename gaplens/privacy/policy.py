"""The privacy thresholds, with floors no configuration can go under.

The floors live here, not in settings files, so a typo or an eager customer cannot turn
small-group protection off: an organisation may only ask for *more* privacy.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_GROUP_SIZE_FLOOR = 5
MIN_COMMENT_GROUP_SIZE_FLOOR = 10


@dataclass(frozen=True)
class PrivacyPolicy:
    """How many respondents a group needs before a number (or free text) about it is shown.

    Comments get the higher bar because text carries style and detail that numbers do not,
    so a small group's comments identify people far more easily than its averages.
    """

    min_group_size: int = MIN_GROUP_SIZE_FLOOR
    min_comment_group_size: int = MIN_COMMENT_GROUP_SIZE_FLOOR

    def __post_init__(self) -> None:
        for name in ("min_group_size", "min_comment_group_size"):
            value = getattr(self, name)
            # bool is an int subclass; True would be a silent threshold of 1.
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be a whole number, got {value!r}")
        if self.min_group_size < MIN_GROUP_SIZE_FLOOR:
            raise ValueError(
                f"min_group_size must be at least {MIN_GROUP_SIZE_FLOOR} "
                f"(got {self.min_group_size}); it can be raised but never lowered"
            )
        if self.min_comment_group_size < MIN_COMMENT_GROUP_SIZE_FLOOR:
            raise ValueError(
                f"min_comment_group_size must be at least {MIN_COMMENT_GROUP_SIZE_FLOOR} "
                f"(got {self.min_comment_group_size}); it can be raised but never lowered"
            )
        if self.min_comment_group_size < self.min_group_size:
            raise ValueError(
                f"min_comment_group_size ({self.min_comment_group_size}) must be at least "
                f"min_group_size ({self.min_group_size}): comments need the larger group; "
                f"set min_comment_group_size to {self.min_group_size} or more"
            )


_CONFIGURED = PrivacyPolicy()


def configured_policy(
    min_group_size: int | None = None, min_comment_group_size: int | None = None
) -> PrivacyPolicy:
    """The one policy every page, command and scheduled build uses.

    Built here and nowhere else, so two adapters cannot disagree on a threshold. The settings
    (`gaplens/config.py`) carry no group size today, so this is the defaults (the floors).
    A command may ask for *more* privacy for one output (the report's `--min-group-size`);
    a value under a floor raises ValueError, as `PrivacyPolicy` does.
    """
    if min_group_size is None and min_comment_group_size is None:
        return _CONFIGURED
    return PrivacyPolicy(
        _CONFIGURED.min_group_size if min_group_size is None else min_group_size,
        _CONFIGURED.min_comment_group_size
        if min_comment_group_size is None
        else min_comment_group_size,
    )
