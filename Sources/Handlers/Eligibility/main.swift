// bilan-eligibility: FastCGI responder when fd 0 is a listening socket, CGI otherwise.
import BilanWeb

WebProgram.run(program: "bilan-eligibility", routes: ["GET /api/orientation/eligibility"]) { context in EligibilityRoute(context: context) }
