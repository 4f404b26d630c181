/* suites.h -- one SUITE(<name>) line per tests/integration/test_<name>.c. */
#define INTEGRATION_SUITES \
    SUITE(pg) \
    SUITE(ops) \
    SUITE(migrate) \
    SUITE(autogen) \
    SUITE(runtime) \
    SUITE(validate) \
    SUITE(hostile) \
    SUITE(session) \
    SUITE(versions) \
    SUITE(errors) \
    SUITE(roundtrip) \
    SUITE(roundtrip_incremental) \
    SUITE(cli_consistency)
