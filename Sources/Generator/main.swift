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
    NAME
        bilan-generator - writes bilans d'orientation with Gemini and mails them

    SYNOPSIS
        bilan-generator run <bilanId>
        bilan-generator recover
        bilan-generator send-mail

    DESCRIPTION
        run       Generate the bilan (three Gemini passes, each checkpointed), mark it
                  COMPLETED or FAILED, send the notification (the mail, and a Web Push
                  message to each browser the student subscribed), then drain the
                  queue oldest first. Spawned detached by bilan-create. When
                  MAX_GENERATORS generators already run on this host, leaves the
                  bilan queued.
        recover   Fail bilans past MAX_ATTEMPTS, retry unsent e-mails and pushes, then
                  drain the queue (bilans whose generator died are queued again). For
                  a systemd timer or cron, every minute. Also sends queued mail and
                  purges expired sessions and login links.
        send-mail Send the mails the handlers queued (login links). Spawned detached
                  by bilan-auth after its answer; takes no generator slot.

    ENVIRONMENT
        Settings come from the environment or the KEY=value file named by BILAN_CONFIG,
        never from argv: DIRECT_URL/DATABASE_URL, PUBLIC_URL, GEMINI_API_KEY,
        GEMINI_MODEL, GEMINI_BASE_URL, MAIL_TRANSPORT, SMTP_URL, MAIL_FROM,
        MAX_GENERATORS, MAX_ATTEMPTS, RUNTIME_DIR, TEMPLATES_DIR, VAPID_PUBLIC_KEY,
        VAPID_PRIVATE_KEY, VAPID_SUBJECT (Web Push; off without them) (see README.md).

    EXIT STATUS
        0 done (or left queued on purpose), 64 usage, 75 temporary failure (the bilan
        stays queued for recovery), 78 configuration error.
    """

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--help" || arguments.first == "-h" {
    print(usage)
    exit(0)
}
let validUsage =
    (arguments.first == "run" && arguments.count == 2)
    || (["recover", "send-mail"].contains(arguments.first) && arguments.count == 1)
if !validUsage {
    LogSink.writeToStandardError(usage)
    exit(64)
}
let environment: Environment
let configuration: Configuration
do {
    environment = try Environment.current()
    // The mail sender calls no model: a missing Gemini key must not stop login mail.
    configuration = try Configuration.load(environment, needs: arguments.first == "send-mail" ? [.mail] : [.gemini, .mail])
    try GeneratorProgram.verifyPushKeys(configuration)
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
case ("send-mail", 1):
    exit(program.sendQueuedMail())
default:
    LogSink.writeToStandardError(usage)
    exit(64)
}
