"""nbgrader's configuration for the TinyTorch course, shipped with the project.

This folder is an nbgrader course directory in nbgrader's standard layout:

    source/NN_name/name.ipynb        the instructor's notebooks, written from modules/ by `tito nbgrader generate`
    release/NN_name/name.ipynb       the student versions (nbgrader generate_assignment)
    submitted/<student>/NN_name/     what students handed in (nbgrader collect, or copied in by hand)
    autograded/  feedback/           nbgrader autograde / generate_feedback
    gradebook.db                     nbgrader's gradebook (also written by `tito grade`)
    exchange/                        the exchange for release_assignment / fetch / submit / collect

Run nbgrader's own tools from this folder (`cd nbgrader && nbgrader autograde 01_tensor`),
or use `tito nbgrader generate|release|collect|autograde|feedback`, which load this file.
Every path is relative to this file, so the course can live anywhere.
"""

import os

c = get_config()  # noqa: F821  (nbgrader provides get_config when it loads this file)

here = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = here
c.CourseDirectory.course_id = "tinytorch"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "gradebook.db")

# A local exchange, so release/fetch/submit/collect work on one machine; on a
# shared JupyterHub point this at a folder every user can reach.
c.Exchange.root = os.path.join(here, "exchange")

# Module notebooks time themselves in their systems-analysis cells: allow them
# more than nbgrader's default 30 s per cell.
c.ExecutePreprocessor.timeout = 300
