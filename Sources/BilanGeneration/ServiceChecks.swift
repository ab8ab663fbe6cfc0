import BilanCore
import BilanMail
import BilanHTTP
#if canImport(Glibc)
import Glibc
#endif

/// `bilan-admin check`: one line per dependency, each with what went wrong.
public struct ServiceChecks {
    public struct Result: Sendable {
        public var name: String
        public var ok: Bool
        public var detail: String
        /// Works, but needs the operator's attention (shown as `warn`).
        public var warning: Bool

        public init(name: String, ok: Bool, detail: String, warning: Bool = false) {
            self.name = name
            self.ok = ok
            self.detail = detail
            self.warning = warning
        }
    }

    let configuration: Configuration
    let migrationsDirectory: String

    public init(configuration: Configuration, migrationsDirectory: String) {
        self.configuration = configuration
        self.migrationsDirectory = migrationsDirectory
    }

    public func runAll() -> [Result] {
        [database("database", configuration.databaseURL), database("direct-database", configuration.directURL),
         templates(), reportFiles(), schoolYearFacts(), runtimeDirectory()] + geminiModels() + [mail(), weasyprint(), push()]
    }

    func database(_ name: String, _ url: String) -> Result {
        do {
            let connection = try PGConnection(url: url, applicationName: "bilan-admin-check")
            let files = (DirectoryListing.names(in: migrationsDirectory) ?? []).filter { $0.hasSuffix(".sql") }.count
            // Two queries: naming a missing table fails at parse time, whatever guards it.
            let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL").bool(0, 0) == true
            let count = exists ? (try connection.query("SELECT count(*) FROM schema_migrations").int(0, 0) ?? 0) : 0
            if count < files {
                return Result(name: name, ok: false, detail: "reachable, but \(files - count) migration(s) pending: run bilan-admin migrate")
            }
            return Result(name: name, ok: true, detail: "reachable, \(count) migrations applied")
        } catch {
            return Result(name: name, ok: false, detail: "\(error)")
        }
    }

    func templates() -> Result {
        let library = TemplateLibrary(directory: configuration.templatesDirectory)
        let names = TemplateNames.mustacheTemplates(passes: Pass.allCases.map { ($0.rawValue, $0.key) })
        for name in names {
            do { _ = try library.template(name) } catch { return Result(name: "templates", ok: false, detail: "\(error)") }
        }
        return Result(name: "templates", ok: true, detail: "\(names.count) templates in \(configuration.templatesDirectory)")
    }

    func runtimeDirectory() -> Result {
        do {
            guard let slot = try HostSlots(directory: configuration.runtimeDirectory, count: configuration.maxGenerators).acquire()
            else {
                return Result(name: "generator-slots", ok: true, detail: "all \(configuration.maxGenerators) slots busy right now")
            }
            slot.release()
            return Result(name: "generator-slots", ok: true, detail: "\(configuration.maxGenerators) slots in \(configuration.runtimeDirectory)")
        } catch {
            return Result(name: "generator-slots", ok: false, detail: "\(error)")
        }
    }

    /// Labels, facts, level instructions and distress phrases: what the
    /// generator loads before claiming a bilan.
    func reportFiles() -> Result {
        do {
            let materials = try ReportMaterials.load(templatesDirectory: configuration.templatesDirectory)
            return Result(
                name: "report-files", ok: true,
                detail: "labels, \(materials.facts.all.count) facts, \(materials.levelInstructions.count) level files, distress phrases")
        } catch {
            return Result(name: "report-files", ok: false, detail: "\(error)")
        }
    }

    /// A warning, not a failure: the facts file wants its yearly update.
    func schoolYearFacts() -> Result {
        let today = ParisCalendar.today()
        guard let facts = try? DatedFacts.load(templatesDirectory: configuration.templatesDirectory) else {
            return Result(name: "facts", ok: false, detail: "facts file unusable (see report-files)")
        }
        let valid = facts.valid(on: today).count
        guard facts.coversSchoolYear(of: today) else {
            return Result(
                name: "facts", ok: true,
                detail: "no valid fact covers the school year \(today.schoolYear): update \(DatedFacts.fileName)", warning: true)
        }
        return Result(name: "facts", ok: true, detail: "\(valid) fact(s) valid today, school year \(today.schoolYear) covered")
    }

    /// `models.get` for the primary model and each fallback: cheap, and it
    /// proves the key, the model names and the network.
    func geminiModels() -> [Result] {
        let models = ModelChoice(primary: configuration.geminiModel, fallbacks: configuration.geminiFallbackModels).all
        return models.enumerated().map { index, model in
            gemini(model: model, role: index == 0 ? "GEMINI_MODEL" : "GEMINI_FALLBACK_MODELS")
        }
    }

    func gemini(model: String, role: String) -> Result {
        let name = "gemini:\(model)"
        guard let key = configuration.geminiAPIKey else {
            return Result(name: name, ok: false, detail: "GEMINI_API_KEY is not set")
        }
        do {
            let curl = try CurlEasy()
            try curl.set(.url("\(configuration.geminiBaseURL)/v1beta/models/\(model)"))
            try curl.set(.headers(["x-goog-api-key: \(key)"]))
            try curl.set(.connectTimeout(seconds: 10))
            try curl.set(.timeout(seconds: 20))
            let body = try curl.perform()
            if curl.responseCode == 404 {
                return Result(name: name, ok: false, detail: "model \(model) is not served (404): change \(role)")
            }
            guard curl.responseCode == 200 else {
                let error = GeminiResponseParser.error(status: curl.responseCode, body: body)
                return Result(name: name, ok: false, detail: "HTTP \(curl.responseCode): \(error.detail)")
            }
            return Result(name: name, ok: true, detail: "model \(model) available (\(role), \(ModelFamily(model)))")
        } catch {
            return Result(name: name, ok: false, detail: error.description)
        }
    }

    func mail() -> Result {
        switch configuration.mailTransport {
        case .file:
            let directory = configuration.mailDirectory ?? ""
            guard access(directory, W_OK) == 0 else {
                return Result(name: "mail", ok: false, detail: "MAIL_DIR \(directory) is not writable")
            }
            return Result(name: "mail", ok: true, detail: "file transport into \(directory)")
        case .sendmail:
            guard access(configuration.sendmailPath, X_OK) == 0 else {
                return Result(name: "mail", ok: false, detail: "\(configuration.sendmailPath) is not executable")
            }
            return Result(name: "mail", ok: true, detail: "sendmail transport (\(configuration.sendmailPath))")
        case .smtp:
            do {
                try SMTPTransport(url: configuration.smtpURL ?? "", security: configuration.smtpSecurity).checkConnection()
                return Result(name: "mail", ok: true, detail: "SMTP server answers (TLS: \(configuration.smtpSecurity.rawValue))")
            } catch {
                return Result(name: "mail", ok: false, detail: "\(error)")
            }
        }
    }

    /// WeasyPrint makes the report PDFs (SPEC §14): works (its version, and
    /// a PDF of the print template, which proves fonts, Pango and the
    /// template folder too), missing, or fails. Without it every bilan still
    /// completes and is mailed, without its PDF.
    func weasyprint() -> Result {
        let renderer = WeasyPrintRenderer(configuration: configuration)
        do {
            let version = try renderer.version()
            let document = ReportPrintDocument(
                templates: TemplateLibrary(directory: configuration.templatesDirectory),
                wording: AnswerWording(labels: AnswerLabels(["niveau.TERMINALE": "terminale"])),
                linkHosts: configuration.reportLinkHosts)
            let probe = PrintSource(
                id: "check", report: "# Bilan\n\n## Synthèse de votre profil\n\nVérification de WeasyPrint.\n",
                reportHTML: nil, reportTOC: nil, questionnaire: #"{"niveau":"TERMINALE"}"#,
                completedAtMs: UTCTime.nowMilliseconds(), distressFlag: false)
            let pdf = try renderer.render(try document.html(for: probe))
            return Result(
                name: "weasyprint", ok: true,
                detail: "works: \(version), a test PDF in \(Int(pdf.seconds * 1000)) ms (PDF_TIMEOUT \(configuration.pdfTimeoutSeconds) s)")
        } catch let error as PDFRenderError where error.kind == .missing {
            return Result(name: "weasyprint", ok: false, detail: "missing: \(error.detail); bilans are mailed without their PDF")
        } catch {
            return Result(name: "weasyprint", ok: false, detail: "fails: \(error)")
        }
    }
}
