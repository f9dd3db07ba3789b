/* Keeps a half-finished survey in this browser only (localStorage), never on the server. */
{
  const form = document.getElementById("survey-form");
  if (form && window.localStorage) {
    const key = form.dataset.progressKey;
    const fields = () => Array.from(form.elements).filter((el) => el.name && el.name !== "form_token");
    try {
      const saved = JSON.parse(localStorage.getItem(key) || "{}");
      for (const el of fields()) {
        const value = saved[el.name];
        if (value === undefined) continue;
        if (el.type === "radio" || el.type === "checkbox") {
          el.checked = Array.isArray(value) ? value.includes(el.value) : value === el.value;
        } else {
          el.value = value;
        }
      }
    } catch (error) {
      localStorage.removeItem(key);
    }
    const save = () => {
      const data = {};
      for (const el of fields()) {
        if (el.type === "checkbox") {
          if (el.checked) (data[el.name] = data[el.name] || []).push(el.value);
        } else if (el.type === "radio") {
          if (el.checked) data[el.name] = el.value;
        } else if (el.value) {
          data[el.name] = el.value;
        }
      }
      localStorage.setItem(key, JSON.stringify(data));
    };
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", () => localStorage.removeItem(key));
  }
}
