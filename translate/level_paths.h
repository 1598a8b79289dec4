// How nested boxes are named from the level that sees them: "4" is the box whose init is number 4
// there, "4/2" the box whose init is number 2 in that one, and so on. `vpidbox ps` and
// `vpidbox exec` name nested boxes so, after the top-level box's id ("3f2a9c1b7d4e/4/2"). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "translate/process_table.h"

namespace vpidbox {

// The level `path` names from level `from` ("" is `from` itself); nullopt when a component is
// not a number, or not the init of a box nested there.
std::optional<LevelId> resolve_level_path(const ProcessTable& table, LevelId from,
                                          std::string_view path);

// The path of `level` as seen from `from` ("" for `from` itself); nullopt when `level` is not
// nested in `from`, or an init on the way is gone (the box is ending).
std::optional<std::string> level_path(const ProcessTable& table, LevelId from, LevelId level);

}  // namespace vpidbox
