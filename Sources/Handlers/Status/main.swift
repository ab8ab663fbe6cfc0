// bilan-status: FastCGI responder when fd 0 is a listening socket, CGI otherwise.
import BilanWeb

WebProgram.run(program: "bilan-status", routes: ["GET /api/orientation/bilan/<id>", "GET /api/orientation/bilans", "GET /api/orientation/health", "GET /api/orientation/metrics"]) { context in StatusRoutes(context: context) }
