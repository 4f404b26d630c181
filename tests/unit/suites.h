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
    SUITE(cli_input) \
    SUITE(revision) \
    SUITE(url) \
    SUITE(c_escape) \
    SUITE(versions) \
    SUITE(version_names) \
    SUITE(wait) \
    SUITE(mlock) \
    SUITE(backoff) \
    SUITE(loader) \
    SUITE(trust) \
    SUITE(id_grammar) \
    SUITE(checksum) \
    SUITE(build) \
    SUITE(build_stale) \
    SUITE(hostile_input) \
    SUITE(plugin_abi) \
    SUITE(snapshot) \
    SUITE(snapshot_changes) \
    SUITE(signals) \
    SUITE(json)
