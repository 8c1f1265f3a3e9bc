/* The flow builder, made nicer with JavaScript; every part also works without it.
 *
 * 1. Only the chosen trigger's settings (and its help panel) are shown.
 * 2. Steps get "move up" / "move down" buttons. Rows keep their place in the document
 *    (Django's inlines.js renumbers form names by document order when a new row is
 *    removed) and are shown in order with the CSS `order` property; on submit each
 *    step's hidden position field gets its shown place. Without JavaScript the position
 *    field is a plain number box.
 */
"use strict";
{
    const STEP_ROW = ".remarket-steps .inline-related";

    function showTrigger(select) {
        const chosen = select.value;
        document.querySelectorAll("fieldset.trigger-settings").forEach((fieldset) => {
            fieldset.hidden = !fieldset.classList.contains("trigger-" + chosen);
        });
        document.querySelectorAll(".remarket-help-panel[data-trigger]").forEach((panel) => {
            panel.hidden = panel.dataset.trigger !== chosen;
        });
    }

    function rows(group) {
        return Array.from(group.querySelectorAll(STEP_ROW))
            .filter((row) => !row.classList.contains("empty-form"))
            .sort((a, b) => Number(a.style.order) - Number(b.style.order));
    }

    function isBlankNew(row) {
        const id = row.querySelector("input[name$='-id']");
        if (id && id.value) {
            return false;
        }
        return Array.from(row.querySelectorAll("input[name$='-subject'], textarea[name$='-body']"))
            .every((field) => !field.value.trim());
    }

    // Translated by the template (flow/change_form.html); English if the element is absent.
    function label(text) {
        const labels = document.getElementById("remarket-builder-labels");
        const key = text === "Move up" ? "moveUp" : "moveDown";
        return (labels && labels.dataset[key]) || text;
    }

    function addMoveButtons(group, row) {
        const heading = row.querySelector("h3");
        if (!heading || row.querySelector(".remarket-move")) {
            return;
        }
        const tools = document.createElement("span");
        tools.className = "remarket-move";
        for (const [direction, text, arrow] of [[-1, "Move up", "\u2191"], [1, "Move down", "\u2193"]]) {
            const button = document.createElement("button");
            button.type = "button";
            button.className = "remarket-move-" + (direction < 0 ? "up" : "down");
            button.title = label(text);
            button.setAttribute("aria-label", label(text));
            button.textContent = arrow;
            button.addEventListener("click", () => {
                const ordered = rows(group);
                const here = ordered.indexOf(row);
                const there = ordered[here + direction];
                if (there) {
                    const swap = row.style.order;
                    row.style.order = there.style.order;
                    there.style.order = swap;
                    button.focus();
                }
            });
            tools.appendChild(button);
        }
        heading.appendChild(tools);
        const position = row.querySelector(".field-position");
        if (position) {
            position.hidden = true;
        }
    }

    function setUpSteps(group) {
        group.classList.add("remarket-ordered");
        const existing = Array.from(group.querySelectorAll(STEP_ROW))
            .filter((row) => !row.classList.contains("empty-form"));
        existing.forEach((row, index) => {
            const position = row.querySelector("input[name$='-position']");
            const number = position && position.value && !isBlankNew(row)
                ? Number(position.value) : 1000 + index;
            row.style.order = String(number * 1000 + index);
            addMoveButtons(group, row);
        });
        document.addEventListener("formset:added", (event) => {
            const row = event.target;
            if (group.contains(row)) {
                const last = rows(group).filter((other) => other !== row).pop();
                row.style.order = String(last ? Number(last.style.order) + 1 : 0);
                addMoveButtons(group, row);
            }
        });
        group.closest("form").addEventListener("submit", () => {
            let number = 1;
            for (const row of rows(group)) {
                const position = row.querySelector("input[name$='-position']");
                if (position && !isBlankNew(row)) {
                    position.value = String(number++);
                }
            }
        });
    }

    function init() {
        const trigger = document.querySelector("#flow_form select[name='trigger']");
        if (trigger) {
            showTrigger(trigger);
            trigger.addEventListener("change", () => showTrigger(trigger));
        }
        const group = document.querySelector(".remarket-steps");
        if (group) {
            setUpSteps(group.closest(".inline-group") || group);
        }
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", init);
    } else {
        init();
    }
}
