// Waiting for the virtual readers: control-socket status + reader-monitor events, no polling of
// pcscd.
#include "wait_ready.hpp"

#include "cardio/reader_monitor.hpp"
#include "control_client.hpp"

#include <condition_variable>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace shensu::cardsim
{

int waitReady(const std::string& control, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;

    // The simulator may still be starting: retry its control socket until the deadline.
    std::string status;
    for (;;) {
        try {
            status = askControl(control, "status");
            break;
        } catch (const std::exception& error) {
            if (std::chrono::steady_clock::now() >= deadline) {
                std::cerr << "shensu-cardsim --wait-ready: " << error.what() << "\n";
                return 1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    std::set<std::string> wantReaders, wantCards;
    std::istringstream words(status);
    std::string word;
    words >> word; // "ok"
    while (words >> word) { // slotN=KIND
        const auto eq = word.find('=');
        if (word.rfind("slot", 0) != 0 || eq == std::string::npos) continue;
        const std::string reader = "Virtual PCD 00 0" + word.substr(4, eq - 4);
        wantReaders.insert(reader);
        if (word.substr(eq + 1) != "empty") wantCards.insert(reader);
    }

    std::mutex mutex;
    std::condition_variable changed;
    std::set<std::string> readers, cards;
    cardio::ReaderMonitor monitor([&](const cardio::ReaderEvent& event) {
        std::lock_guard lock(mutex);
        if (const auto* e = std::get_if<cardio::ReaderAdded>(&event)) readers.insert(e->reader);
        if (const auto* e = std::get_if<cardio::ReaderRemoved>(&event)) readers.erase(e->reader);
        if (const auto* e = std::get_if<cardio::CardInserted>(&event)) cards.insert(e->reader);
        if (const auto* e = std::get_if<cardio::CardRemoved>(&event)) cards.erase(e->reader);
        changed.notify_all();
    });
    std::unique_lock lock(mutex);
    const bool ready = changed.wait_until(lock, deadline, [&] {
        for (const auto& r : wantReaders) {
            if (!readers.contains(r)) return false;
        }
        for (const auto& c : wantCards) {
            if (!cards.contains(c)) return false;
        }
        return true;
    });
    if (!ready) {
        std::cerr << "shensu-cardsim --wait-ready: pcscd shows " << readers.size() << " of "
                  << wantReaders.size() << " readers and " << cards.size() << " of "
                  << wantCards.size() << " cards\n";
        return 1;
    }
    return 0;
}

} // namespace shensu::cardsim
