//! The token broker that the package's Durable Object (`M2MTokenBroker`, `js/durable-object.js`) runs: one token
//! source per configuration it is asked for, sharing one mint in flight between all the object's requests (one
//! object may share a promise between its requests), keeping the token in the object's storage (sealed, as every
//! store entry) and refreshing it ahead of its callers. Owns the sources and their bound; the rules are the token
//! source's and `core::broker`'s. Never stores, logs or answers with the machine key.

use crate::core::broker::{BrokerAsk, BrokerConfig};
use crate::core::error::Error;
use crate::core::model::CreateTokenParams;
use crate::edge::client::Client;
use crate::edge::http::FetchTransport;
use crate::edge::json::EdgeJson;
use crate::edge::remembered::{remembered, Remembered};
use crate::edge::store::SharedStore;
use crate::edge::token_source::TokenSource;
use std::cell::RefCell;
use std::rc::Rc;

/// How many configurations one object keeps a source for; the least recently asked is dropped past that.
const MAX_SOURCES: usize = 16;

type BrokerSource<S> = TokenSource<FetchTransport, S>;

/// The sources of one Durable Object, over its storage `S`.
pub(crate) struct Broker<S: SharedStore + Clone> {
    storage: S,
    /// By the ask's text without its give-up digest; least recently asked first.
    sources: Remembered<String, Rc<BrokerSource<S>>>,
}

impl<S: SharedStore + Clone> Broker<S> {
    pub(crate) fn new(storage: S) -> Broker<S> {
        Broker { storage, sources: RefCell::new(Vec::new()) }
    }

    /// The answer to an isolate's ask: the token for its configuration, sealed under its key — the token in hand,
    /// the one in storage, or a new mint (one at a time for all the object's requests). A give-up digest that
    /// names the token in hand replaces it first.
    pub(crate) async fn answer(&self, ask: &str) -> Result<String, Error> {
        let mut ask = BrokerAsk::read::<EdgeJson>(ask)?;
        let give_up = ask.give_up.take();
        let source = self.source_for(ask)?;
        if let Some(digest) = give_up {
            source.give_up_digest(&digest);
        }
        source.sealed_token().await
    }

    /// Mints, for every configuration whose successor is due, that successor.
    pub(crate) async fn refresh_ahead(&self) {
        let sources: Vec<_> = self.sources.borrow().iter().map(|(_, source)| source.clone()).collect();
        for source in sources {
            source.refresh_ahead().await;
        }
    }

    /// When the next successor is due (the object's alarm), if any.
    pub(crate) fn next_refresh_ms(&self) -> Option<f64> {
        self.sources.borrow().iter().filter_map(|(_, source)| source.refresh_ahead_due_ms()).reduce(f64::min)
    }

    /// The source for `ask`'s configuration, built (and validated) on its first ask.
    fn source_for(&self, ask: BrokerAsk) -> Result<Rc<BrokerSource<S>>, Error> {
        let id = ask.write::<EdgeJson>()?;
        remembered(&self.sources, MAX_SOURCES, id, |_| {
            let BrokerConfig { config, params, refresh_before_seconds, pool_min_remaining_s } = ask.into_config()?;
            let client = Rc::new(Client::new(config)?);
            let params = CreateTokenParams { min_remaining_ttl_seconds: pool_min_remaining_s, ..params };
            let store = Some(self.storage.clone());
            let mut source = TokenSource::with_sharing(client, params, refresh_before_seconds, store, true)?;
            if pool_min_remaining_s.is_none() {
                source = source.without_pooling();
            }
            Ok(Rc::new(source))
        })
    }
}
