import BilanCore
import Logging

/// What `bilan-create` serves: the questionnaire, and the Web Push
/// subscriptions. The subscription routes live here, not in
/// `bilan-status`: they are state-changing JSON posts under create's rules
/// (origin, size), while bilan-status's workers answer the pages' 5-second
/// polls, the path that must stay the fastest (SPEC §17).
public struct CreateRoutes: RequestHandler {
    let create: CreateRoute
    let push: PushSubscriptionRoute

    public init(context: WebContext) {
        let store = PostgresRouteStore(database: context.database)
        self.create = CreateRoute(context: context)
        self.push = PushSubscriptionRoute(
            configuration: context.configuration, logger: context.logger, sessions: store, store: store)
    }

    public func handle(_ request: Request) throws -> Response {
        request.path == PushSubscriptionRoute.path ? try push.handle(request) : try create.handle(request)
    }
}
