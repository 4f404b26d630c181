/* main.c -- every integration suite, registered from one table (like
 * tests/unit/main.c).  Needs DATABASE_URL naming a superuser on a
 * throwaway cluster: run.sh starts one with scripts/dev-db. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"

#define SUITE(name) extern CU_TestInfo name##_tests[];
INTEGRATION_SUITES
#undef SUITE

int main(int argc, char **argv)
{
#define SUITE(name) { #name, NULL, NULL, NULL, NULL, name##_tests },
    CU_SuiteInfo suites[] = { INTEGRATION_SUITES CU_SUITE_INFO_NULL };
#undef SUITE
    unsigned failed;

    if (!getenv("DATABASE_URL") || !*getenv("DATABASE_URL")) {
        fprintf(stderr, "integration tests need DATABASE_URL (use tests/integration/run.sh)\n");
        return 2;
    }
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        fprintf(stderr, "cannot register suites: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
    /* [-v] [SUITE...]: verbose, and only the named suites */
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "-v") == 0)
        first = 2;
    CU_basic_set_mode(first == 2 ? CU_BRM_VERBOSE : CU_BRM_NORMAL);
    failed = 0;
    if (first >= argc) {
        CU_basic_run_tests();
        failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    } else {
        for (int i = first; i < argc; i++) {
            CU_pSuite s = CU_get_suite(argv[i]);
            if (!s) {
                fprintf(stderr, "no suite named '%s'\n", argv[i]);
                CU_cleanup_registry();
                return 2;
            }
            /* each run starts a new summary: add them up */
            CU_basic_run_suite(s);
            failed += CU_get_number_of_failures() + CU_get_number_of_tests_failed();
        }
    }
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
