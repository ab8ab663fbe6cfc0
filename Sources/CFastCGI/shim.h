// libfcgi's request-level API (fcgiapp.h). fcgi_stdio.h is useless from Swift:
// its stdio macros never reach Swift's own I/O.
#include <fcgiapp.h>
