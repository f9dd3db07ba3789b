/* Questions for executives and managers appear only once the respondent picks one of those
   roles; hidden, they are disabled too, so nothing of them is sent. The "Question i of N"
   numbers follow what is shown. Without JavaScript every question shows, marked, and the
   server refuses an answer from anyone else to a question not meant for them. */
{
  const form = document.getElementById("survey-form");
  if (form) {
    const leaders = new Set(["executive", "manager"]);
    const update = () => {
      const role = form.querySelector('input[name="role_level"]:checked');
      const isLeader = role !== null && leaders.has(role.value);
      for (const fieldset of form.querySelectorAll('fieldset[data-audience="leaders"]')) {
        fieldset.hidden = !isLeader;
        fieldset.disabled = !isLeader;
      }
      const shown = Array.from(form.querySelectorAll("fieldset.question")).filter((f) => !f.hidden);
      shown.forEach((fieldset, index) => {
        fieldset.querySelector(".q-index").textContent = String(index + 1);
        fieldset.querySelector(".q-total").textContent = String(shown.length);
      });
    };
    form.addEventListener("change", (event) => {
      if (event.target.name === "role_level") update();
    });
    update();
  }
}
