"""nbgrader add-ons used by the course's ``nbgrader_config.py`` (imports nbgrader: a dev dependency)."""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer


class TruncateOutput(NbGraderPreprocessor):
    """Cut every text output of a cell to ``max_chars`` characters.

    nbgrader's own ``LimitOutput`` counts lines only, so one 20 MB line would be stored whole in the graded
    notebook, the gradebook and the feedback. Truncating does not change a score: a stderr stream that is
    cut stays a stderr stream.
    """

    max_chars = Integer(20_000, help="characters kept of each text output").tag(config=True)

    def _cut(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        return text[:self.max_chars] + f"\n... output truncated ({len(text):,} characters in all) ...\n"

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.output_type == "stream":
                    output.text = self._cut(output.text)
                elif "data" in output and "text/plain" in output.data:
                    output.data["text/plain"] = self._cut(output.data["text/plain"])
        return cell, resources
