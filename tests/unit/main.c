/* main.c -- every unit suite, registered from one table (libuv's
 * test-list.h idea).  Each tests/unit/test_<concern>.c exports
 * CU_TestInfo <concern>_tests[]; add one line to suites.h for a new one. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#include "suites.h"

#define SUITE(name) extern CU_TestInfo name##_tests[];
UNIT_SUITES
#undef SUITE

int main(int argc, char **argv)
{
#define SUITE(name) { #name, NULL, NULL, NULL, NULL, name##_tests },
    CU_SuiteInfo suites[] = { UNIT_SUITES CU_SUITE_INFO_NULL };
#undef SUITE
    unsigned failed;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        fprintf(stderr, "cannot register suites: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(argc > 1 && strcmp(argv[1], "-v") == 0 ? CU_BRM_VERBOSE : CU_BRM_NORMAL);
    CU_basic_run_tests();
    failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
