//! The smallest Tauri app: one window, one static page, no plugins, no commands. `tests/bench.sh`
//! starts it beside Todo Assistant, interleaved, to compare cold start and idle memory.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the minimal app could not start");
}
