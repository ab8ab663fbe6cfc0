// bilan-generator: `run <bilanId>` (spawned detached by bilan-create) or
// `recover` (a one-minute timer). Settings come from the environment only:
// nothing secret ever appears in argv.
import BilanCore
import BilanGeneration
import Logging
#if canImport(Glibc)
import Glibc
#endif

let usage = """
    usage: bilan-generator run <bilanId>
           bilan-generator recover

    run       generate the bilan (three Gemini passes, then the e-mail), then drain
              the queue; leaves the bilan queued when MAX_GENERATORS are busy.
    recover   fail bilans past MAX_ATTEMPTS, retry unsent e-mails, drain the queue.
              Meant for a systemd timer or cron, every minute.

    Settings: environment or the file named by BILAN_CONFIG (see README.md).
    """

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--help" || arguments.first == "-h" {
    print(usage)
    exit(0)
}
let environment: Environment
let configuration: Configuration
do {
    environment = try Environment.current()
    configuration = try Configuration.load(environment, needs: [.gemini, .mail])
} catch {
    LogSink.writeToStandardError("bilan-generator: \(error)")
    exit(78)
}
KeyValueLogHandler.bootstrap(program: "bilan-generator", env: environment)
let program = GeneratorProgram(configuration: configuration, logger: Logger(label: "bilan-generator"))

switch (arguments.first, arguments.count) {
case ("run", 2):
    guard let id = BilanID.parse(arguments[1]) else {
        LogSink.writeToStandardError("bilan-generator: not a bilan id: \(arguments[1])")
        exit(64)
    }
    exit(program.run(bilanId: id))
case ("recover", 1):
    exit(program.recover())
default:
    LogSink.writeToStandardError(usage)
    exit(64)
}
