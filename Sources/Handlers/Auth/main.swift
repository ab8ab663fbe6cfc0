// bilan-auth: FastCGI responder when fd 0 is a listening socket, CGI otherwise.
import BilanWeb

WebProgram.run(program: "bilan-auth", needs: .mail) { context in AuthRoutes(context: context) }
