/* suites.h -- one SUITE(<name>) line per tests/integration/test_<name>.c. */
#define INTEGRATION_SUITES \
    SUITE(pg) \
    SUITE(ops) \
    SUITE(migrate) \
    SUITE(autogen) \
    SUITE(autogen_fidelity) \
    SUITE(runtime) \
    SUITE(validate) \
    SUITE(hostile) \
    SUITE(session) \
    SUITE(versions) \
    SUITE(errors) \
    SUITE(roundtrip) \
    SUITE(roundtrip_incremental) \
    SUITE(pooler) \
    SUITE(cli_consistency) \
    SUITE(read_json) \
    SUITE(fleet) \
    SUITE(lint) \
    SUITE(locks) \
    SUITE(first_read) \
    SUITE(steps)
