// Registration password locked at central: how to reset it (健保署, its website). The kiosk never
// offers a reset.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawNhiLocked(Frame& f)
{
    title(f, f.tr("nhi_locked.title"));
    errorText(f.tr("nhi_locked.body"));
    paragraph(f.tr("nhi_locked.hint"));
    beginFooter();
    if (primaryButton(f, "nhi_locked.home", f.tr("common.home"), { -1, TOUCH_HEIGHT }))
        f.emit(GoHome {});
}

} // namespace shensu::kiosk::ui
