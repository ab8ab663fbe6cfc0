// bilan-create: FastCGI responder when fd 0 is a listening socket, CGI otherwise.
import BilanWeb

WebProgram.run(
    program: "bilan-create",
    routes: ["POST /api/orientation/create", "POST /api/orientation/push", "DELETE /api/orientation/push"]
) { context in CreateRoutes(context: context) }
