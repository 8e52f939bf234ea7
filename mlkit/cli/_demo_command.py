"""``mlkit demo``."""




def add_parser(sub, common):
    """The ``mlkit demo`` sub-command."""
    from .. import _demo

    p = sub.add_parser("demo", parents=[common], help="train and evaluate on GoEmotions",
                       description=_demo.DESCRIPTION)
    _demo.add_arguments(p)
    p.set_defaults(func=run)


def run(args, console):
    from .. import _demo

    return _demo.run(args)
