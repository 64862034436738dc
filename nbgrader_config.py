"""nbgrader configuration of the mlkit course (nbgrader 0.9.x).

Source notebooks (solutions and hidden tests) live in solutions/<assignment>/, the student versions that
`nbgrader generate_assignment` writes live in exercises/<assignment>/. See INSTRUCTORS.md for the workflow.
"""

c = get_config()  # noqa: F821 -- provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "mlkit"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# never copy caches or checkpoints into releases or submissions
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store", "*.db"]

# what a student sees in place of a solution
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Execution during validation and autograding. A cell that runs longer than this is interrupted (an
# infinite loop costs at most this long; the remaining cells still run). The slowest honest cell (the
# MNIST training run of exercise 05) takes well under a minute on a 2-core machine.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
c.Execute.extra_arguments = [
    "--HistoryManager.hist_file=:memory:",
    # short tracebacks: a failing assert must not print the hidden lines around it
    "--InteractiveShell.xmode=Minimal",
    # keep each submission inside its own folder: no reading solutions/, other submissions or the gradebook
    
]

# Autograding steps: nbgrader's defaults plus TruncateOutput (LimitOutput counts lines only, so a single
# 20 MB line would otherwise be stored whole in the graded notebook and the feedback).
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, Execute, IgnorePattern,  # noqa: E402
                                    LimitOutput, SaveAutoGrades)

from mlgrade.nbgrader_plugins import TruncateOutput  # noqa: E402

c.Autograde.autograde_preprocessors = [Execute, IgnorePattern, TruncateOutput, ClearMetadataPreprocessor,
                                       LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

# Warnings printed on stderr would otherwise zero a test cell: drop stderr output that is only warnings.
c.IgnorePattern.pattern = r"^(?:[^\n]*\b\w*Warning: [^\n]*(?:\n  [^\n]*)?\n?)+$"

# Restore locked cells (tests) a student edited or deleted.
c.OverwriteCells.add_missing_cells = True

# Feedback must not reveal hidden tests.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
]
