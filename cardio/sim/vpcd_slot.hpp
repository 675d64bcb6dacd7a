// One vpcd slot: a thread that, while a card is inserted, holds a TCP connection to vpcd and
// answers it.
#pragma once

#include "apdu_log.hpp"
#include "sim_card.hpp"

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace shensu::cardsim
{

class VpcdSlot
{
public:
    VpcdSlot(int index, std::uint16_t port, ApduLog& log);
    ~VpcdSlot(); // removes the card and joins the thread
    VpcdSlot(const VpcdSlot&) = delete;
    VpcdSlot& operator=(const VpcdSlot&) = delete;

    // Inserting = connecting to vpcd; false when the slot already holds a card.
    bool insert(std::unique_ptr<SimCard> card, const std::string& kind);
    // Removing = closing the connection; fine on an empty slot.
    void remove();
    // The kind of the card in the slot, or "empty".
    std::string status() const;

private:
    void run();
    int connectToVpcd(std::uint64_t generation);
    // Serves vpcd until the connection ends; returns true when the card left on its own (pulled).
    bool serve(int fd, SimCard& card);

    const int index_;
    const std::uint16_t port_;
    ApduLog& log_;

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::shared_ptr<SimCard> card_;
    std::string kind_ = "empty";
    std::uint64_t generation_
        = 0; // bumped on every insert/remove so the thread notices a stale connection
    bool stopping_ = false;
    int socket_ = -1;
    std::thread thread_;
};

} // namespace shensu::cardsim
