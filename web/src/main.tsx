import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { adoptTokenFromLocation } from "./api/client";
import "./styles.css";

adoptTokenFromLocation();
createRoot(document.getElementById("root")!).render(<StrictMode><App /></StrictMode>);
