import ArgumentParser
import BilanCore
import BilanGeneration
import BilanWeb
import Logging

struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Re-queue a FAILED or stuck bilan (attempts reset) and spawn a generator.")
    @Argument(help: "Bilan id (UUID).") var id: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try guarded {
            guard let bilan = BilanID.parse(id) else { throw AdminFailure("not a bilan id: \(id)") }
            let context = try AdminContext.open()
            guard try BilanTransitions(connection: context.connection).requeueOnOperatorRequest(bilan) else {
                throw AdminFailure("no FAILED or PENDING bilan \(bilan) (a COMPLETED bilan is not regenerated)")
            }
            let spawned = GeneratorSpawner(configuration: context.configuration, logger: Logger(label: "bilan-admin"))
                .spawn(arguments: ["run", bilan], bilanId: bilan)
            emit(
                output,
                text: spawned ? "bilan \(bilan) re-queued; generator started" : "bilan \(bilan) re-queued; recovery will start it",
                json: ["id": .string(bilan), "requeued": true, "generatorStarted": .bool(spawned)])
        }
    }
}

struct ResendEmailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resend-email", abstract: "Send a COMPLETED bilan's notification again.")
    @Argument(help: "Bilan id (UUID).") var id: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try guarded {
            guard let bilan = BilanID.parse(id) else { throw AdminFailure("not a bilan id: \(id)") }
            let context = try AdminContext.open()
            guard try context.run(GenerationQueries.adminResend, [bilan]).rowCount == 1 else {
                throw AdminFailure("no COMPLETED bilan \(bilan)")
            }
            let configuration: Configuration
            do {
                configuration = try Configuration.load(context.environment, needs: .mail)
            } catch {
                throw AdminFailure("\(error)")
            }
            let status = GeneratorProgram(configuration: configuration, logger: Logger(label: "bilan-admin"))
                .sendNotification(bilanId: bilan)
            guard status == 0 else { throw AdminFailure("notification for \(bilan) not sent; see the log line above") }
            emit(output, text: "notification for \(bilan) sent", json: ["id": .string(bilan), "sent": true])
        }
    }
}
