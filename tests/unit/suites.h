/* suites.h -- one SUITE(<concern>) line per tests/unit/test_<concern>.c. */
#define UNIT_SUITES \
    SUITE(err) \
    SUITE(graph) \
    SUITE(graph_iter) \
    SUITE(graph_plan) \
    SUITE(diff) \
    SUITE(models) \
    SUITE(ops_render) \
    SUITE(cli) \
    SUITE(revision) \
    SUITE(url) \
    SUITE(versions) \
    SUITE(wait) \
    SUITE(mlock) \
    SUITE(loader) \
    SUITE(trust) \
    SUITE(id_grammar) \
    SUITE(checksum) \
    SUITE(build) \
    SUITE(hostile_input)
