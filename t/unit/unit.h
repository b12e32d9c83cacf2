/*
 * unit.h - the main() every Check test binary shares.
 *
 * A test file defines "static Suite *suite(void)" and then includes
 * UNIT_MAIN. Output is TAP on stdout when CK_TAP_LOG_FILE_NAME=- (set by
 * the Makefile), so automake counts test cases.
 */
#ifndef ESMTPGUARD_UNIT_H
#define ESMTPGUARD_UNIT_H

#include <check.h>
#include <stdlib.h>

#define UNIT_MAIN							\
int									\
main(void)								\
{									\
	SRunner *sr = srunner_create(suite());				\
	int failed;							\
									\
	srunner_run_all(sr, CK_ENV);					\
	failed = srunner_ntests_failed(sr);				\
	srunner_free(sr);						\
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;		\
}

#endif
