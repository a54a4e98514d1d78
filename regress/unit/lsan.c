/*
 * LeakSanitizer settings linked into every unit test.  libatf-c 0.21
 * keeps the allocations of its test-case list until exit, and kyua
 * marks a program broken when its list step writes a leak report to
 * stderr; these suppressions cover libatf-c's own functions only.
 */

const char	*__lsan_default_suppressions(void);
const char	*__lsan_default_options(void);

const char *
__lsan_default_options(void)
{
	return "print_suppressions=0";
}

const char *
__lsan_default_suppressions(void)
{
	return "leak:atf_tp_get_tcs\n"
	    "leak:atf_list_init\n"
	    "leak:atf_list_append\n"
	    "leak:atf_map_init_charpp\n"
	    "leak:atf_map_insert\n";
}
