/*
 * logcap.h - the log lines a test produced, captured through log.c's
 * test hook (log_set_hook), and what tests ask of them.
 */
#ifndef ESMTPGUARD_LOGCAP_H
#define ESMTPGUARD_LOGCAP_H

/* logcap_start - capture from now on (forgets earlier lines) */
void	logcap_start(void);

/* logcap_stop - stop capturing and free the lines */
void	logcap_stop(void);

/* logcap_find - index of the first line that ends with str, or -1 */
int	logcap_find(const char *str);

/* logcap_find_in - index of the first line that contains str, or -1 */
int	logcap_find_in(const char *str);

/* logcap_line - captured line i (0 first); i must be in range */
const char *logcap_line(int i);

/* logcap_nlines - how many lines were captured */
int	logcap_nlines(void);

/* logcap_count - lines that contain str */
int	logcap_count(const char *str);

#endif
