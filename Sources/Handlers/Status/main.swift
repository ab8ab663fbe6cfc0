// bilan-status: FastCGI responder when fd 0 is a listening socket, CGI otherwise.
import BilanWeb

WebProgram.run(program: "bilan-status") { context in StatusRoutes(context: context) }
