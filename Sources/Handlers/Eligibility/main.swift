// bilan-eligibility: FastCGI responder when fd 0 is a listening socket, CGI otherwise.
import BilanWeb

WebProgram.run(program: "bilan-eligibility") { context in EligibilityRoute(context: context) }
