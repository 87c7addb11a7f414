"""Reports a musician reads: the data check (is my audio good for this?) and the pages.

- :mod:`~ddsp_train.reports.checks`: one recording's measurements and verdicts
  (:func:`~ddsp_train.reports.checks.check_recording`), built from small pure measures
  (:mod:`polyphony`, :mod:`decay`, :mod:`measures`);
- :mod:`~ddsp_train.reports.verdicts`: the whole set's verdicts (:func:`summarize_checks`);
- the pages: ``DATASET/report.html`` and ``MODEL_DIR/report.html``.

Below the stages: data/ and training/ call it; it imports none of them.
"""
