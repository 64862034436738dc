"""nbgrader configuration of the mlkit course (nbgrader 0.9.x).

Source notebooks (solutions and visible tests) live in solutions/<assignment>/, the student versions that
`nbgrader generate_assignment` writes live in exercises/<assignment>/, and the hidden checks the grader runs
in specs/<assignment>.py. See INSTRUCTORS.md for the workflow.
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

# Autograding: the judge (mlgrade) runs each submission in a bubblewrap sandbox and decides every test cell
# with the checks in specs/<assignment>.py, in this process; the sandbox never sees a hidden test.
# See INSTRUCTORS.md, "What grading guarantees".
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput,  # noqa: E402
                                    DeduplicateIds, LimitOutput, OverwriteKernelspec, SaveAutoGrades)

from mlgrade.nbgrader_plugins import JudgeExecute, RestoreCells, TruncateOutput  # noqa: E402

c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, RestoreCells,
                                      CheckCellMetadata]
c.Autograde.autograde_preprocessors = [JudgeExecute, TruncateOutput, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
# Seconds a cell (or one call of a check) may run. The slowest honest cell, exercise 05's training run,
# takes well under a minute on a 2-core machine; a looping cell costs this long once.
c.JudgeExecute.timeout = 120
# Test cells a student edited or deleted are put back from the source.
c.RestoreCells.add_missing_cells = True
# Late work (against the due date set with `nbgrader db assignment add NAME --duedate=...`): 10 % of the score
# per started day late, at most 50 %, after 15 minutes' grace (mlgrade/late.py).
from mlgrade.late import PercentPerDay  # noqa: E402

c.AssignLatePenalties.plugin_class = PercentPerDay
c.PercentPerDay.percent_per_day = 10.0
c.PercentPerDay.max_percent = 50.0
c.PercentPerDay.grace_minutes = 15.0

# `nbgrader validate` (an instructor checking a source notebook) executes the notebook as it is.
c.Execute.timeout = 120
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:"]

# Feedback shows each test cell with the judge's verdict; hidden tests never reach it.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
]
