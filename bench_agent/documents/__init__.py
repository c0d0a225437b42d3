"""Documents for people: the per-unit test report PDF (the décret 2022-190 evidence) and
the building blocks the central service's donor batch report shares with it (fonts,
escaped paragraphs, QR codes). Pure: models in, PDF bytes out."""
