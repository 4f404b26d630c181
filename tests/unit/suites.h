/* suites.h -- one SUITE(<concern>) line per tests/unit/test_<concern>.c. */
#define UNIT_SUITES \
    SUITE(err) \
    SUITE(graph) \
    SUITE(graph_iter) \
    SUITE(graph_plan) \
    SUITE(graph_current) \
    SUITE(diff) \
    SUITE(models) \
    SUITE(autogen_names) \
    SUITE(ops_render) \
    SUITE(cli) \
    SUITE(cli_input) \
    SUITE(revision) \
    SUITE(url) \
    SUITE(url_multihost) \
    SUITE(c_escape) \
    SUITE(versions) \
    SUITE(version_names) \
    SUITE(wait) \
    SUITE(mlock) \
    SUITE(fanout_targets) \
    SUITE(backoff) \
    SUITE(loader) \
    SUITE(trust) \
    SUITE(id_grammar) \
    SUITE(checksum) \
    SUITE(build) \
    SUITE(build_stale) \
    SUITE(build_known) \
    SUITE(hostile_input) \
    SUITE(plugin_abi) \
    SUITE(snapshot) \
    SUITE(snapshot_changes) \
    SUITE(signals) \
    SUITE(json) \
    SUITE(lint) \
    SUITE(sql_split)
