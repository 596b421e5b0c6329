/* i18n.h - gettext wrapper: every string shown to people goes through _(). */
#ifndef JADE_I18N_H
#define JADE_I18N_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)

#endif
