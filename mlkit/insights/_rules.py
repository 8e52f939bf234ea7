"""The audit's decision constants, shared by the audit and the edits built from it."""

#: cells whose score is at least this are listed in ``label_issues``
MIN_LISTED_SCORE = 0.05
#: a cell (or row) with at least this error probability is a *likely* issue
LIKELY = 0.5
#: labels with fewer positive rows than this get the "rare" alert (and lose no positive
#: to suggested edits)
RARE_SUPPORT = 10
#: default cap of suggested edits per label, as a share of its positive rows (rounded up)
MAX_EDIT_SHARE = 0.1
