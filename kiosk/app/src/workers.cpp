// Worker threads: they do the slow, blocking work and report back to the UI thread as core events.
#include "workers.hpp"

#include <cardio/atr.hpp>
#include <cardio/health_card.hpp>
#include <cardio/pcsc.hpp>
#include <cardio/reader_monitor.hpp>
#include <network/forwarder.hpp>

#include <iostream>
#include <set>

namespace shensu::kiosk::app
{

namespace
{

    // A single-consumer job queue for one worker thread.
    template<typename Job> class Jobs
    {
    public:
        void push(Job job)
        {
            {
                std::lock_guard lock(mutex_);
                jobs_.push_back(std::move(job));
            }
            wake_.notify_one();
        }
        // Blocks; false when stopping.
        bool pop(Job& job)
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (stopping_) return false;
            job = std::move(jobs_.front());
            jobs_.pop_front();
            return true;
        }
        void stop()
        {
            {
                std::lock_guard lock(mutex_);
                stopping_ = true;
            }
            wake_.notify_all();
        }

    private:
        std::mutex mutex_;
        std::condition_variable wake_;
        std::deque<Job> jobs_;
        bool stopping_ = false;
    };

} // namespace

// ---------------------------------------------------------------- card worker

struct CardWorker::Impl {
    EventQueue& queue;
    Jobs<std::string> reads;
    std::thread thread;
    std::set<std::string> readers; // touched on the monitor's thread only
    std::unique_ptr<cardio::ReaderMonitor> monitor;

    explicit Impl(EventQueue& q)
        : queue(q)
    { }

    void onReaderEvent(const cardio::ReaderEvent& event)
    {
        if (const auto* a = std::get_if<cardio::ReaderAdded>(&event)) {
            if (readers.empty())
                queue.post(CardService { true, cardio::CardErrorCode::NO_READERS });
            readers.insert(a->reader);
        } else if (const auto* r = std::get_if<cardio::ReaderRemoved>(&event)) {
            readers.erase(r->reader);
            if (readers.empty())
                queue.post(CardService { false, cardio::CardErrorCode::NO_READERS });
        } else if (const auto* i = std::get_if<cardio::CardInserted>(&event)) {
            queue.post(kiosk::CardInserted { i->reader, cardio::identifyCard(i->atr) });
        } else if (const auto* c = std::get_if<cardio::CardRemoved>(&event)) {
            queue.post(kiosk::CardRemoved { c->reader });
        } else if (const auto* f = std::get_if<cardio::MonitorFailed>(&event)) {
            std::clog << "card: reader monitoring failed: " << cardio::toString(f->code) << '\n';
            readers.clear();
            queue.post(CardService { false, f->code });
        }
    }

    void readCard(const std::string& reader)
    {
        try {
            cardio::Context context;
            cardio::CardConnection card(context, reader);
            if (cardio::identifyCard(card.atr()) != cardio::CardKind::HEALTH_CARD) {
                queue.post(CardReadFailed { cardio::CardErrorCode::UNSUPPORTED_CARD });
                return;
            }
            cardio::HealthCardData data = cardio::readHealthCard(card);
            // Only the name goes on: the ID number, birth date and card number stay here and die
            // here.
            queue.post(HealthCardRead { reader, data.name });
            std::fill(data.idNumber.begin(), data.idNumber.end(), '\0');
            std::fill(data.cardNumber.begin(), data.cardNumber.end(), '\0');
            std::fill(data.name.begin(), data.name.end(), '\0');
            std::clog << "card: health card read\n";
        } catch (const cardio::CardError& e) {
            std::clog << "card: read failed: " << cardio::toString(e.code()) << '\n';
            queue.post(CardReadFailed { e.code() });
        } catch (const std::exception&) {
            std::clog << "card: read failed: internal error\n";
            queue.post(CardReadFailed { cardio::CardErrorCode::INTERNAL });
        }
    }

    void run()
    {
        std::string reader;
        while (reads.pop(reader)) {
            readCard(reader);
        }
    }
};

CardWorker::CardWorker(EventQueue& queue)
    : impl_(std::make_unique<Impl>(queue))
{
    // With pcscd up but no reader attached the monitor stays silent: say so now, it reports readers
    // as they come.
    try {
        cardio::Context context;
        if (context.readers().empty())
            queue.post(CardService { false, cardio::CardErrorCode::NO_READERS });
    } catch (const cardio::CardError&) {
        // pcscd is not there: the monitor reports it (MonitorFailed) and keeps retrying.
    }
    impl_->monitor = std::make_unique<cardio::ReaderMonitor>(
        [impl = impl_.get()](const cardio::ReaderEvent& e) { impl->onReaderEvent(e); });
    impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

CardWorker::~CardWorker()
{
    impl_->reads.stop();
    impl_->thread.join();
    impl_->monitor.reset();
}

void CardWorker::read(const std::string& reader)
{
    impl_->reads.push(reader);
}

// ---------------------------------------------------------------- network worker

struct NetworkWorker::Impl {
    EventQueue& queue;
    Jobs<nlohmann::json> filings;
    std::thread thread;
    std::unique_ptr<network::Forwarder> forwarder;

    explicit Impl(EventQueue& q)
        : queue(q)
    { }

    void run()
    {
        nlohmann::json filing;
        while (filings.pop(filing)) {
            if (forwarder) {
                try {
                    const std::string id = forwarder->store(filing);
                    std::clog << "network: filing stored\n";
                    queue.post(FilingStored { id });
                } catch (const std::exception& e) {
                    std::clog << "network: store failed: " << e.what() << '\n';
                    queue.post(FilingStoreFailed { e.what() });
                }
                filing = nullptr; // the plaintext leaves memory as soon as it is sealed
                continue;
            }
            std::clog << "network: store failed: no network part in the configuration\n";
            queue.post(FilingStoreFailed { "no network configured" });
            filing = nullptr;
        }
    }
};

NetworkWorker::NetworkWorker(EventQueue& queue, const KioskConfig& config)
    : impl_(std::make_unique<Impl>(queue))
{
    if (config.hasNetwork()) {
        network::ForwarderConfig fc;
        fc.outboxPath = config.outboxPath;
        fc.centralUrl = config.centralUrl;
        fc.centralResolve = config.centralResolve;
        fc.centralCaCert = config.centralCaCert;
        fc.clientCert = config.clientCert;
        fc.clientKey = config.clientKey;
        fc.encryptionCert = config.encryptionCert;
        fc.receiptCert = config.receiptCert;
        fc.kioskId = config.kioskId;
        fc.firstRetryDelay = config.retryFirstDelay;
        fc.maxRetryDelay = config.retryMaxDelay;
        try {
            impl_->forwarder = std::make_unique<network::Forwarder>(
                fc, [impl = impl_.get()](const network::ForwardResult& r) {
                    if (const auto* a = std::get_if<network::FilingAccepted>(&r)) {
                        impl->queue.post(
                            FilingAccepted { a->filingId, a->caseNumber, a->verificationCode });
                    } else if (const auto* d = std::get_if<network::FilingDeferred>(&r)) {
                        impl->queue.post(FilingDeferred { d->filingId, d->reason });
                    }
                });
        } catch (const std::exception& e) {
            std::clog << "network: forwarder unavailable: " << e.what() << '\n';
        }
    }
    impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

NetworkWorker::~NetworkWorker()
{
    impl_->filings.stop();
    impl_->thread.join();
    impl_->forwarder.reset();
}

void NetworkWorker::store(nlohmann::json filing)
{
    impl_->filings.push(std::move(filing));
}

} // namespace shensu::kiosk::app
