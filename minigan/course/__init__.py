"""minigan.course: assignments' checks a student can read, and tools to release and grade.

    from minigan.course import check_layer, check_loss, check_generator_gradient
    from minigan.course.game import check_discriminator_step, check_generator_step, check_training_loop
    from minigan.course.theory_checks import check_optimal_discriminator, check_integrate, check_js_divergence

One concept per module: report (the table and the single AssertionError), mistakes (the
catalogue of typical mistakes and their hints), checks (layers, losses, the gradient through D),
game (assignment 3), theory_checks (assignment 4), markers (nbgrader's cell format), release
and grade.

The release and grade tools (minigan.course.release, minigan.course.grade) are behind the
`minigan course` command.
"""

from .checks import check_generator_gradient, check_layer, check_loss

__all__ = ["check_layer", "check_loss", "check_generator_gradient"]
