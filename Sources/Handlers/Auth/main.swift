// bilan-auth: FastCGI responder when fd 0 is a listening socket, CGI otherwise.
import BilanWeb

WebProgram.run(program: "bilan-auth", routes: ["POST /auth/login", "GET /auth/callback?token=…", "POST /auth/logout"], needs: .mail) { context in AuthRoutes(context: context) }
