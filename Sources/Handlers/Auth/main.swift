// bilan-auth: FastCGI responder when fd 0 is a listening socket, CGI otherwise.
import BilanWeb

WebProgram.run(program: "bilan-auth", routes: ["POST /auth/login", "GET /auth/callback?token=…", "POST /auth/callback", "POST /auth/logout"]) { context in AuthRoutes(context: context) }
