import BilanCore

extension PostgresRouteStore: LoginStore {
    /// Unknown addresses and reached limits commit having written nothing:
    /// the lock is released either way.
    func queueLoginLink(_ link: LoginLink, limits: LoginLinkLimits) throws -> LoginLinkOutcome {
        try database.transaction { connection in
            try connection.query(SessionQueries.lockAddressForLogin.sql, [link.email])
            let candidate = try connection.query(SessionQueries.loginCandidate.sql, [link.email])
            guard let user = candidate.string(0, 0) else { return .unknownAddress }
            guard (candidate.int(0, 1) ?? 0) < limits.perQuarterHour, (candidate.int(0, 2) ?? 0) < limits.perDay else {
                return .limitReached(user: user)
            }
            let lifetime = String(link.lifetimeSeconds)
            try connection.query(SessionQueries.createLoginToken.sql, [link.token, user, link.email, link.returnTo, lifetime])
            try connection.query(
                MailQueueQueries.enqueue.sql,
                [link.mail.kind, link.email, link.mail.subject, link.mail.template, link.mail.values.serialized, user, lifetime])
            return .queued(user: user)
        }
    }

    func address(ofUsableLoginToken token: String) throws -> String? {
        try database.run(SessionQueries.peekLoginToken, [token]).string(0, 0)
    }

    func openSession(_ session: String, lifetimeSeconds: Int, consuming loginToken: String) throws -> OpenedSession? {
        try database.transaction { connection in
            let consumed = try connection.query(SessionQueries.consumeLoginToken.sql, [loginToken])
            guard let user = consumed.string(0, 0) else { return nil }
            try connection.query(SessionQueries.endOtherSessions.sql, [user])
            try connection.query(SessionQueries.createSession.sql, [session, user, String(lifetimeSeconds)])
            return OpenedSession(user: user, returnTo: consumed.string(0, 1))
        }
    }

    func endSession(_ token: String) throws {
        try database.run(SessionQueries.deleteSession, [token])
    }
}
