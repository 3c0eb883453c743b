//! The API's route table. Every route is registered through [`Routes`], which both adds it to
//! the axum router and lists it, so that the route list cannot drift from what is served: the
//! authorization-matrix test walks [`Routes::listed`] and fails on a route its table lacks.

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodFilter, on};
use coffer_node::Node;
use std::sync::Arc;

/// One method on one path, as registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Route {
    /// The HTTP method, upper case.
    pub(crate) method: &'static str,
    /// The path template, with `{name}` segments.
    pub(crate) path: &'static str,
}

/// A router that remembers what it serves.
pub(crate) struct Routes {
    router: Router<Arc<Node>>,
    listed: Vec<Route>,
}

macro_rules! method {
    ($(#[$doc:meta] $name:ident => $filter:ident, $text:literal;)*) => {$(
        #[$doc]
        pub(crate) fn $name<H, T>(self, path: &'static str, handler: H) -> Self
        where
            H: Handler<T, Arc<Node>>,
            T: 'static,
        {
            self.add(Route { method: $text, path }, on(MethodFilter::$filter, handler))
        }
    )*};
}

impl Routes {
    /// No routes yet.
    pub(crate) fn new() -> Self {
        Self {
            router: Router::new(),
            listed: Vec::new(),
        }
    }

    method! {
        /// Serves `GET path` with `handler`.
        get => GET, "GET";
        /// Serves `HEAD path` with `handler`.
        head => HEAD, "HEAD";
        /// Serves `POST path` with `handler`.
        post => POST, "POST";
        /// Serves `PUT path` with `handler`.
        put => PUT, "PUT";
        /// Serves `PATCH path` with `handler`.
        patch => PATCH, "PATCH";
        /// Serves `DELETE path` with `handler`.
        delete => DELETE, "DELETE";
    }

    fn add(mut self, route: Route, method: axum::routing::MethodRouter<Arc<Node>>) -> Self {
        self.router = self.router.route(route.path, method);
        self.listed.push(route);
        self
    }

    /// These routes and `other`'s.
    pub(crate) fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.listed.extend(other.listed);
        self
    }

    /// Every route, in registration order.
    #[cfg(test)]
    pub(crate) fn listed(&self) -> &[Route] {
        &self.listed
    }

    /// The axum router.
    pub(crate) fn into_router(self) -> Router<Arc<Node>> {
        self.router
    }
}
