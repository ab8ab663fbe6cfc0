// bilan-page: the result page, FastCGI responder or CGI program.
import BilanWeb

WebProgram.run(program: "bilan-page", routes: ["GET /orientation/resultat/<id>"]) { context in PageRoute(context: context) }
