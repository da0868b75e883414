"""What the shipped seed articles (seeds/) must alert on: shared by the extraction, flow and README tests."""

# By file: the watched entries each seed article mentions, at least.
EXPECTED_SEED_ALERTS = {
    "000_cb98e6dd4b5ccfbd.txt": {"deir-ez-zor", "raqqa", "hama", "mortier"},
    "003_14110cf45b5c4781.txt": {
        "deir-ez-zor",
        "al-boukamal",
        "kalibr",
        "tu-22m3",
        "kalachnikov",
        "hummer",
        "mortier",
    },
}
