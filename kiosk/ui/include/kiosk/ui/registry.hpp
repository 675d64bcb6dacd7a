// Where each interactive widget was drawn last frame, by stable id ("home.health_card"): automation
// taps by id.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace shensu::kiosk::ui
{

struct WidgetRect {
    float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    bool visible = false; // inside its window's visible area (not scrolled away or clipped)
    float centerX() const noexcept { return (x0 + x1) / 2; }
    float centerY() const noexcept { return (y0 + y1) / 2; }
    float width() const noexcept { return x1 - x0; }
    float height() const noexcept { return y1 - y0; }
};

class WidgetRegistry
{
public:
    void clear() { rects_.clear(); }
    void add(const std::string& id, const WidgetRect& rect) { rects_[id] = rect; }
    const WidgetRect* find(const std::string& id) const;
    std::vector<std::string> ids() const;

private:
    std::map<std::string, WidgetRect> rects_;
};

} // namespace shensu::kiosk::ui
